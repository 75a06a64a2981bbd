import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readStaticFile, staticFile, type StaticFile } from '../static-file.js';

/**
 * The `/api/docs` page: Swagger UI, as the swagger-ui-dist package ships it
 * (a runtime dependency of the gateway, so the production image has it too),
 * served from this gateway, never from a CDN. The page is HTML with no
 * inline script or style; what it loads are the files below, each at
 * `/api/docs/<name>`, and the document itself.
 */

/** The files of swagger-ui-dist the page loads: its styles (the UI's and the page's), the UI, and its icons. */
const SWAGGER_UI_FILES = ['swagger-ui.css', 'index.css', 'swagger-ui-bundle.js', 'favicon-32x32.png', 'favicon-16x16.png'] as const;
/** Ours: starts the UI on the document (a file, because the page allows no inline script). */
const START_SCRIPT = 'start-swagger-ui.js';

/** Every file name served under `/api/docs/`, and nothing else. */
export const DOCS_FILES: readonly string[] = [...SWAGGER_UI_FILES, START_SCRIPT];

/**
 * What the page may load: scripts and styles from this origin only (nothing
 * inline), images from here and `data:` URLs (swagger-ui.css draws its icons
 * as data: SVGs), and requests to this origin (the document, and "Try it out",
 * which start-swagger-ui.js sends to this gateway). Swagger UI 5 needs no
 * 'unsafe-inline' for styles: it sets element styles through the DOM, which
 * style-src does not govern (web/test/browser/chat.test.ts opens the page in
 * Chromium and fails on any CSP violation).
 */
export const DOCS_CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export interface DocsViewer {
  page: StaticFile;
  /** By exact file name: the whole check on a request for `/api/docs/<name>`. */
  files: ReadonlyMap<string, StaticFile>;
}

/**
 * The folder of the installed swagger-ui-dist, resolved from this module as
 * Node resolves an import: the same from src/ (tsx) as from dist/ (the
 * compiled build and the image), wherever npm put the package.
 */
export function swaggerUiFolder(): string {
  return dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
}

const fileUrl = (name: string): string => `/api/docs/${name}`;

function pageHtml(documentUrl: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Chat platform API</title>
<link rel="icon" type="image/png" sizes="32x32" href="${fileUrl('favicon-32x32.png')}">
<link rel="icon" type="image/png" sizes="16x16" href="${fileUrl('favicon-16x16.png')}">
<link rel="stylesheet" href="${fileUrl('index.css')}">
<link rel="stylesheet" href="${fileUrl('swagger-ui.css')}">
</head>
<body>
<noscript><p>This page needs JavaScript. The document itself is at <a href="${documentUrl}">${documentUrl}</a>.</p></noscript>
<div id="swagger-ui" data-openapi-url="${documentUrl}"></div>
<script src="${fileUrl('swagger-ui-bundle.js')}"></script>
<script src="${fileUrl(START_SCRIPT)}"></script>
</body>
</html>
`;
}

/**
 * Reads the page's files into memory (once, when the docs routes are built).
 * Throws when swagger-ui-dist is not installed: a gateway without its docs
 * page is a broken install, found at start-up rather than by a reader.
 */
export function loadDocsViewer(documentUrl: string): DocsViewer {
  // Revalidated on every load (ETag): the names carry no version, and a new swagger-ui-dist must be picked up.
  const cacheControl = 'no-cache';
  const read = (name: string, path: string): StaticFile => {
    const file = readStaticFile(name, path, cacheControl);
    if (!file) throw new Error(`The docs page serves ${name}, of a type the gateway does not serve`);
    return file;
  };
  const folder = swaggerUiFolder();
  const files = new Map<string, StaticFile>(SWAGGER_UI_FILES.map((name) => [name, read(name, join(folder, name))]));
  files.set(START_SCRIPT, read(START_SCRIPT, fileURLToPath(new URL(START_SCRIPT, import.meta.url))));
  return { page: staticFile(Buffer.from(pageHtml(documentUrl)), 'text/html; charset=utf-8', cacheControl), files };
}
