// fontkit ships no types; pdfkit (which depends on it) accepts its font objects in registerFont.
declare module 'fontkit' {
  export interface Font {
    layout(text: string): unknown;
  }
  export function create(buffer: Uint8Array, postscriptName?: string): Font;
}
