import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const REPOSITORY = join(__dirname, '..');
const SCRIPT = join(REPOSITORY, 'scripts', 'check-doc-links.mjs');

/** `npm run docs:check`, on this repository or on the git work tree `root`. */
const checkLinks = (root?: string) =>
  spawnSync(process.execPath, root ? [SCRIPT, '--root', root] : [SCRIPT], { encoding: 'utf8' });

describe('scripts/check-doc-links.mjs (npm run docs:check)', () => {
  it("passes on this repository's Markdown", () => {
    const result = checkLinks();
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  describe('on a repository with broken links', () => {
    let root: string;
    beforeAll(() => {
      root = mkdtempSync(join(tmpdir(), 'doc-links-'));
      const write = (path: string, text: string) => {
        mkdirSync(dirname(join(root, path)), { recursive: true });
        writeFileSync(join(root, path), text);
      };
      write(
        'README.md',
        [
          '# Fixture',
          'Fine: [guide](docs/guide.md), [section](docs/guide.md#paging), [top](#fixture),',
          '[site](https://example.com/x.md), [mail](mailto:a@b.c), [`src/`](src).',
          'Outside: [shared](../shared/api-contract.md).',
          'Missing: [gone](docs/gone.md "a title").',
          'In code: `[no](nowhere.md)`, and below:',
          '```md',
          '[no](nowhere-either.md)',
          '```',
          '[ref]: ./docs/missing-ref.md',
          '',
        ].join('\n'),
      );
      write(
        'docs/guide.md',
        'Back: [readme](../README.md), ![logo](<../img/logo.png>), [untracked](notes.md).\n',
      );
      write('src/index.ts', '');
      write('img/logo.png', '');
      write('docs/notes.md', 'Not committed: a fresh clone would not have it.\n');
      execFileSync('git', ['init', '-q', root]);
      execFileSync('git', ['-C', root, 'add', 'README.md', 'docs/guide.md', 'src', 'img']);
    });
    afterAll(() => rmSync(root, { recursive: true, force: true }));

    it('fails, naming each broken link and only those', () => {
      const result = checkLinks(root);
      expect(result.status).toBe(1);
      const reported = result.stderr.trim().split('\n').slice(0, -1);
      expect(reported).toEqual([
        'README.md:4: ../shared/api-contract.md points outside the repository',
        'README.md:5: docs/gone.md points at a file that does not exist',
        'README.md:10: ./docs/missing-ref.md points at a file that does not exist',
        'docs/guide.md:1: notes.md points at a file git does not track (a fresh clone would not have it)',
      ]);
    });
  });
});
