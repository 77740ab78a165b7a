// Serves the built web console (src/console/dist) at `/`: real files when they exist, else
// index.html so the single-page app's own routes (/terminals/NXE-1, ...) survive a reload.
import { existsSync, statSync } from 'node:fs';
import { dirname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

export const CONSOLE_DIST = resolve(dirname(fileURLToPath(import.meta.url)), '../console/dist');

/**
 * Paths owned by the API and tooling (metrics moved to its own listener): never the console's
 * index.html, whatever their spelling (`//api//v1/...`, `/API/...`, `/%61pi/...`); they get 404.
 */
const NOT_CONSOLE = /^\/(api|docs|openapi\.json|healthz|readyz|metrics)(\/|$|\?)/i;

/** The decoded path with repeated slashes collapsed, or null for malformed percent-encoding. */
function consolePath(url: string): string | null {
  try {
    return decodeURIComponent(url.split('?')[0] ?? '/').replace(/\/{2,}/g, '/');
  } catch {
    return null;
  }
}

export async function consolePlugin(app: FastifyInstance, opts: { root?: string } = {}): Promise<void> {
  const root = opts.root ?? CONSOLE_DIST;
  // serve:false: only reply.sendFile; this plugin decides what each path means.
  await app.register(fastifyStatic, { root, serve: false });

  // Public: the console's files carry no data; the app signs in and calls the API with a token.
  app.get('/*', { config: { public: true }, schema: { hide: true } }, async (req, reply) => {
    const path = consolePath(req.url);
    if (path === null || NOT_CONSOLE.test(path)) return reply.callNotFound();
    if (!existsSync(join(root, 'index.html'))) {
      return reply
        .status(503)
        .type('text/plain; charset=utf-8')
        .send('The web console is not built yet: run `npm run console:build` (npm start builds it), then reload.\n');
    }
    const file = normalize(join(root, path));
    if (file.startsWith(root + sep) && existsSync(file) && statSync(file).isFile()) {
      // Vite puts content-hashed names under assets/: they never change, so cache them for good.
      const immutable = path.startsWith('/assets/');
      return reply.sendFile(file.slice(root.length + 1), root, {
        maxAge: immutable ? 365 * 24 * 3600_000 : 0,
        immutable,
      });
    }
    // A missing asset is a 404; any other path is a console route.
    if (path.startsWith('/assets/')) return reply.callNotFound();
    return reply.header('cache-control', 'no-cache').sendFile('index.html', root, { maxAge: 0 });
  });
}
