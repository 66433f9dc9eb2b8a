// Parses each Mermaid file given on the command line with Mermaid's own parser
// (`mermaid.parse`, what GitHub's renderer runs first); exits 1 on the first that fails.
import { JSDOM } from 'jsdom';
import { readFileSync } from 'fs';

const dom = new JSDOM('<!DOCTYPE html><body></body>');
globalThis.window = dom.window;
globalThis.document = dom.window.document;
globalThis.DOMParser = dom.window.DOMParser;
const { default: mermaid } = await import('mermaid');
mermaid.initialize({ startOnLoad: false });

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('mermaid check: no file given');
  process.exit(1);
}
for (const file of files) {
  const text = readFileSync(file, 'utf8');
  try {
    const r = await mermaid.parse(text);
    if (!r || r.diagramType !== 'flowchart-v2') {
      throw new Error(`not a flowchart: ${JSON.stringify(r)}`);
    }
    console.log(`mermaid: ${file}: ok`);
  } catch (e) {
    console.error(`mermaid: ${file}: ${e.message ?? e}`);
    process.exit(1);
  }
}
