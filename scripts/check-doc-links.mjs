#!/usr/bin/env node
// Fails when a Markdown file of the repository links to something a fresh clone does not have:
// a relative target that leaves the repository, or a file that is missing (or not tracked by git).
//
//   node scripts/check-doc-links.mjs              # every `git ls-files '*.md'` of this repository
//   node scripts/check-doc-links.mjs --root DIR   # the same for the git work tree at DIR
//
// Checked: inline links and images `[text](target)`, `![alt](target)`, and reference definitions
// `[ref]: target`. Skipped: absolute URLs (http:, https:, mailto:, any scheme), `//host/...`,
// anchors within the same file (`#section`), and anything inside fenced code blocks or inline
// code. A target's `#fragment` is ignored; `/path` is taken from the repository root.
// No dependencies: this runs before `npm ci` has to.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const FENCE = /^ {0,3}(`{3,}|~{3,})/;
const CLOSING_FENCE = /^ {0,3}(`{3,}|~{3,})\s*$/;
// [text](target "title") with one level of brackets in the text; target bare or in <...>.
const INLINE_LINK =
  /\[(?:[^[\]]|\[[^\]]*\])*\]\(\s*(<[^>\n]*>|[^\s()]*(?:\([^\s()]*\)[^\s()]*)*)(?:\s+(?:"[^"]*"|'[^']*'|\([^)]*\)))?\s*\)/g;
const REFERENCE_DEFINITION = /^ {0,3}\[[^\]]+\]:\s*(<[^>\n]*>|\S+)/;
const SCHEME = /^[a-z][a-z0-9+.-]*:/i;

/** The links of one Markdown text, outside code: `{ line, target }`, line numbers from 1. */
export function extractLinks(markdown) {
  const links = [];
  let fence = null;
  markdown.split(/\r?\n/).forEach((text, index) => {
    if (fence) {
      const closing = CLOSING_FENCE.exec(text);
      if (closing && closing[1][0] === fence[0] && closing[1].length >= fence.length) fence = null;
      return;
    }
    const opening = FENCE.exec(text);
    if (opening) {
      fence = opening[1];
      return;
    }
    const prose = withoutInlineCode(text);
    const definition = REFERENCE_DEFINITION.exec(prose);
    if (definition) links.push({ line: index + 1, target: unwrap(definition[1]) });
    for (const match of prose.matchAll(INLINE_LINK)) {
      links.push({ line: index + 1, target: unwrap(match[1]) });
    }
  });
  return links;
}

/**
 * The line with each code span (a run of N backticks up to the next run of exactly N) replaced by
 * as many `x`: nothing else moves, and a link text made only of code stays non-empty.
 */
function withoutInlineCode(text) {
  let out = '';
  let at = 0;
  while (at < text.length) {
    const open = text.indexOf('`', at);
    if (open < 0) break;
    let end = open;
    while (text[end] === '`') end += 1;
    const run = end - open;
    let close = end;
    let found = -1;
    while ((close = text.indexOf('`', close)) >= 0) {
      let closeEnd = close;
      while (text[closeEnd] === '`') closeEnd += 1;
      if (closeEnd - close === run) {
        found = closeEnd;
        break;
      }
      close = closeEnd;
    }
    if (found < 0) {
      out += text.slice(at, end);
      at = end;
      continue;
    }
    out += text.slice(at, open) + 'x'.repeat(found - open);
    at = found;
  }
  return out + text.slice(at);
}

const unwrap = (target) =>
  target.startsWith('<') && target.endsWith('>') ? target.slice(1, -1) : target;

/** Why `target`, linked from `file` (relative to `root`), is broken; undefined when it is fine. */
export function linkProblem(root, file, target, tracked) {
  if (target === '' || target.startsWith('#') || target.startsWith('//') || SCHEME.test(target)) {
    return undefined;
  }
  let path = target.split('#', 1)[0].split('?', 1)[0];
  try {
    path = decodeURIComponent(path);
  } catch {
    return 'is not a valid URL path';
  }
  const resolved = path.startsWith('/') ? join(root, path) : resolve(root, dirname(file), path);
  const inside = relative(root, resolved);
  if (inside === '..' || inside.startsWith(`..${sep}`) || isAbsolute(inside)) {
    return 'points outside the repository';
  }
  if (!existsSync(resolved)) return 'points at a file that does not exist';
  const key = inside.split(sep).join('/');
  if (key !== '' && !tracked.has(key) && ![...tracked].some((f) => f.startsWith(`${key}/`))) {
    return 'points at a file git does not track (a fresh clone would not have it)';
  }
  return undefined;
}

/** Every broken link of the repository's Markdown files: `{ file, line, target, problem }`. */
export function checkDocLinks(root) {
  const lsFiles = (...args) =>
    execFileSync('git', ['-C', root, 'ls-files', '-z', ...args], { encoding: 'utf8' })
      .split('\0')
      .filter(Boolean);
  const tracked = new Set(lsFiles());
  const problems = [];
  const files = lsFiles('*.md').filter((file) => existsSync(join(root, file)));
  let links = 0;
  for (const file of files) {
    for (const { line, target } of extractLinks(readFileSync(join(root, file), 'utf8'))) {
      links += 1;
      const problem = linkProblem(root, file, target, tracked);
      if (problem) problems.push({ file, line, target, problem });
    }
  }
  return { files: files.length, links, problems };
}

function main(argv) {
  const rootFlag = argv.indexOf('--root');
  const root = resolve(
    rootFlag >= 0 ? argv[rootFlag + 1] : join(dirname(fileURLToPath(import.meta.url)), '..'),
  );
  const { files, links, problems } = checkDocLinks(root);
  for (const { file, line, target, problem } of problems) {
    console.error(`${file}:${line}: ${target} ${problem}`);
  }
  if (problems.length > 0) {
    console.error(`docs:check: ${problems.length} broken link(s) in the Markdown files.`);
    return 1;
  }
  console.log(`docs:check: ${links} link(s) in ${files} Markdown file(s), none broken.`);
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.exitCode = main(process.argv.slice(2));
}
