// The one file of a multipart/form-data upload (a browser form's <input type=file>), read from
// the buffered body: enough for CSV uploads without a multipart dependency. Anything else in
// the form is ignored; a body without a file part is a 400 naming `file`.
import { invalid } from '../platform/errors.js';

export function fileFromMultipart(body: Buffer, contentType: string): { text: string; fileName: string | null } {
  const m = /boundary=(?:"([^"]{1,70})"|([^;\s]{1,70}))/i.exec(contentType);
  const boundary = m?.[1] ?? m?.[2];
  if (!boundary) throw invalid('A multipart body needs a boundary', [{ path: 'content-type', message: 'No boundary' }]);
  const delimiter = Buffer.from(`--${boundary}`);
  let at = body.indexOf(delimiter);
  while (at !== -1) {
    const start = at + delimiter.length;
    // "--" after a delimiter closes the body.
    if (body.subarray(start, start + 2).toString() === '--') break;
    const next = body.indexOf(delimiter, start);
    if (next === -1) break;
    const part = body.subarray(start, next);
    const headEnd = part.indexOf('\r\n\r\n');
    if (headEnd !== -1) {
      const head = part.subarray(0, headEnd).toString('utf8');
      const disposition = /content-disposition:[^\r\n]*/i.exec(head)?.[0] ?? '';
      const name = /\bname="([^"]*)"/i.exec(disposition)?.[1];
      const fileName = /\bfilename="([^"]*)"/i.exec(disposition)?.[1];
      if (fileName !== undefined || name === 'file' || name === 'csv') {
        // The part's content ends with the CRLF that precedes the next delimiter.
        let content = part.subarray(headEnd + 4);
        if (content.subarray(-2).toString() === '\r\n') content = content.subarray(0, -2);
        return { text: content.toString('utf8'), fileName: fileName ? fileName.slice(0, 200) : null };
      }
    }
    at = next;
  }
  throw invalid('The form has no file', [{ path: 'file', message: 'Attach the statement as a file' }]);
}
