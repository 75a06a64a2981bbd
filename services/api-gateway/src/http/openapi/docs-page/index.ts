import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

/**
 * The `/api/docs` page: one HTML document with its CSS and script inline, so
 * it loads nothing but `/api/openapi.json` (the machine it runs on may have no
 * internet, and a docs page should not call third parties anyway). The
 * Content-Security-Policy allows exactly these two inline blocks (by hash)
 * and same-origin fetches, nothing else.
 */
export interface DocsPage {
  html: string;
  contentSecurityPolicy: string;
}

const asset = (name: string): string => readFileSync(new URL(name, import.meta.url), 'utf8');

const sha256 = (text: string): string => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/** `</` inside an inline block would end it early; the assets never contain it, and this proves it. */
function inlineSafe(text: string, what: string): string {
  if (/<\//.test(text)) throw new Error(`The docs page ${what} must not contain "</"`);
  return text;
}

export function buildDocsPage(): DocsPage {
  const css = inlineSafe(asset('./page.css'), 'CSS');
  const script = inlineSafe(asset('./page.js'), 'script');
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Chat platform API</title>
<style>${css}</style>
</head>
<body>
<div class="layout">
<nav aria-label="Operations">
<input id="filter" type="search" placeholder="Filter operations" aria-label="Filter operations">
<div id="nav"></div>
</nav>
<main id="app"><p>Loading the API document…</p><noscript><p>This page needs JavaScript. The document itself is at <a href="/api/openapi.json">/api/openapi.json</a>.</p></noscript></main>
</div>
<script>${script}</script>
</body>
</html>
`;
  const contentSecurityPolicy = [
    "default-src 'none'",
    `script-src ${sha256(script)}`,
    `style-src ${sha256(css)}`,
    "connect-src 'self'",
    "img-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  return { html, contentSecurityPolicy };
}
