// Reads a .cpuprofile and says where the time went: the busiest functions (self time) and the
// share of each package, as a markdown fragment for the report.

/** Which package (or part of Node, or of our own code) a call frame belongs to. */
function ownerOf(url, functionName) {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const modules = url.lastIndexOf('node_modules/');
  if (modules >= 0) {
    const parts = url.slice(modules + 'node_modules/'.length).split('/');
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  if (url.startsWith('node:')) return 'node core';
  const src = url.indexOf('/dist/src/');
  return src >= 0 ? `app: ${url.slice(src + '/dist/src/'.length)}` : url;
}

export function summarizeProfile(json) {
  const profile = JSON.parse(json);
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i];
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const functions = new Map();
  const owners = new Map();
  let busy = 0;
  for (const [id, us] of selfUs) {
    const { callFrame } = byId.get(id);
    if (callFrame.functionName === '(idle)') continue;
    busy += us;
    const owner = ownerOf(callFrame.url, callFrame.functionName);
    const name = `${callFrame.functionName || '(anonymous)'} ${owner}${callFrame.url ? `:${callFrame.lineNumber + 1}` : ''}`;
    functions.set(name, (functions.get(name) ?? 0) + us);
    owners.set(owner, (owners.get(owner) ?? 0) + us);
  }
  const total = profile.endTime - profile.startTime;
  const pct = (us) => `${((100 * us) / busy).toFixed(1)}%`;
  const top = (map, n) => [...map].sort((a, b) => b[1] - a[1]).slice(0, n);
  return [
    `Busy ${(busy / 1000).toFixed(0)} ms of ${(total / 1000).toFixed(0)} ms on the main thread (idle excluded from the shares).`,
    '',
    '| self time by package | share |',
    '|---|---|',
    ...top(owners, 15).map(([owner, us]) => `| ${owner} | ${pct(us)} |`),
    '',
    '| hottest functions (self) | share |',
    '|---|---|',
    ...top(functions, 20).map(([name, us]) => `| \`${name}\` | ${pct(us)} |`),
  ].join('\n');
}
