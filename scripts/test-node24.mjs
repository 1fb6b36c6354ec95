#!/usr/bin/env node
// The suite again on Node.js 24 (the devices' runtime), after `npm test` ran it on this machine's Node 20.
// Node 24 is the npm registry's node-linux-<arch> package, pinned in .ci/node24 (npm ci --prefix .ci/node24).
// Native addons: N-API ones (serialport, sharp) load on any Node; the others are built for one ABI (Node 20's
// 115, Node 24's 137). Each addon that fails to load on Node 24 is rebuilt from its own sources for Node 24 with
// the headers that package ships, into .ci/node24/rebuilt/ (kept between runs, keyed by version and ABI), and
// a resolve hook points the Node 24 processes at those copies; Node 20 keeps its own. Nothing is skipped.
//
//   node scripts/test-node24.mjs [filter]      (as npm test: a filter runs only matching test files)
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const arch = process.arch === 'x64' ? 'x64' : process.arch === 'arm64' ? 'arm64' : null;
const home = join(repo, '.ci', 'node24', 'node_modules', `node-linux-${arch}`);
const node24 = join(home, 'bin', 'node');
const die = (m) => { console.error(`test-node24: ${m}`); process.exit(1); };

if (!arch) die(`no Node.js 24 package for ${process.arch}: only x64 and arm64 are published`);
if (!existsSync(node24)) die(`${node24} is missing: run "npm ci --prefix .ci/node24" first`);
const version = spawnSync(node24, ['-p', 'process.versions.node + " " + process.versions.modules'], { encoding: 'utf8' }).stdout.trim();
const [nodeVersion, abi] = version.split(' ');
if (!nodeVersion?.startsWith('24.')) die(`${node24} says ${JSON.stringify(version)}, not Node.js 24`);

// every installed package with a compiled addon of its own (build/Release/*.node)
function addons() {
  const out = [];
  const visit = (dir, scope = '') => {
    for (const name of readdirSync(dir)) {
      if (name.startsWith('.')) continue;
      if (name.startsWith('@') && !scope) { visit(join(dir, name), name); continue; }
      const pkg = join(dir, name);
      const release = join(pkg, 'build', 'Release');
      if (existsSync(join(pkg, 'binding.gyp')) && existsSync(release) && readdirSync(release).some((f) => f.endsWith('.node'))) {
        out.push({ name: scope ? `${scope}/${name}` : name, dir: pkg });
      }
    }
  };
  visit(join(repo, 'node_modules'));
  return out;
}

// loads the package's compiled addons themselves (a package's main file may load them only on first use)
const loads = (dir) => {
  const release = join(dir, 'build', 'Release');
  const files = readdirSync(release).filter((f) => f.endsWith('.node')).map((f) => join(release, f));
  // "did not self-register": a .node file that is not a Node addon (better-sqlite3's SQLite test extension)
  return spawnSync(node24, ['-e', `for (const f of ${JSON.stringify(files)}) try { require(f) } catch (e) { if (!/did not self-register/.test(e.message)) throw e }`], { cwd: repo, encoding: 'utf8' });
};

const rebuiltRoot = join(repo, '.ci', 'node24', 'rebuilt', `abi${abi}`, 'node_modules');
const nodeGyp = join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
const redirect = {};
for (const a of addons()) {
  const first = loads(a.dir);
  if (first.status === 0) { console.log(`test-node24: ${a.name} loads on Node ${nodeVersion} as built`); continue; }
  if (!/NODE_MODULE_VERSION/.test(first.stderr)) die(`${a.name} does not load on Node ${nodeVersion}: ${first.stderr.trim().split('\n').find((l) => /Error/.test(l)) ?? first.stderr.trim()}`);
  const v = JSON.parse(readFileSync(join(a.dir, 'package.json'), 'utf8')).version;
  const copy = join(rebuiltRoot, a.name);
  const stamp = join(copy, '.chot-rebuilt');
  if (!existsSync(stamp) || readFileSync(stamp, 'utf8') !== `${v} ${abi}`) {
    console.log(`test-node24: ${a.name}@${v} is built for Node 20's ABI: rebuilding it for Node ${nodeVersion} (ABI ${abi}) into ${copy}`);
    rmSync(copy, { recursive: true, force: true });
    mkdirSync(dirname(copy), { recursive: true });
    cpSync(a.dir, copy, { recursive: true, filter: (src) => !src.startsWith(join(a.dir, 'build')) });
    if (!existsSync(nodeGyp)) die(`node-gyp not found at ${nodeGyp} (it comes with npm)`);
    const r = spawnSync(node24, [nodeGyp, 'rebuild', '--release', `--nodedir=${home}`], { cwd: copy, encoding: 'utf8' });
    if (r.status !== 0) die(`rebuilding ${a.name} for Node ${nodeVersion} failed (it needs python3, make and g++):\n${r.stderr.split('\n').filter((l) => /error|ERR/i.test(l)).slice(0, 10).join('\n')}`);
    writeFileSync(stamp, `${v} ${abi}`);
  }
  redirect[a.name] = { dir: copy, main: createRequire(join(repo, 'x.js')).resolve(copy) };
}

// A resolve hook for Node 24 only: the rebuilt addons instead of the ones in node_modules. It is passed on to
// child processes through NODE_OPTIONS, and does nothing in a Node 20 child a test may start.
const hooks = join(repo, '.ci', 'node24', 'rebuilt', `hooks-abi${abi}.mjs`);
mkdirSync(dirname(hooks), { recursive: true });
writeFileSync(hooks, `// written by scripts/test-node24.mjs
import module from 'node:module';
const redirect = ${JSON.stringify(redirect)};
if (process.versions.modules === ${JSON.stringify(abi)} && module.registerHooks) {
  module.registerHooks({
    resolve(specifier, context, next) {
      // absolute paths: what require() resolves, and what import resolves against a file: parent
      if (redirect[specifier]) return next(redirect[specifier].main, context);
      const name = Object.keys(redirect).find((n) => specifier.startsWith(n + '/'));
      return name ? next(redirect[name].dir + specifier.slice(name.length), context) : next(specifier, context);
    },
  });
}
`);
for (const name of Object.keys(redirect)) {
  const r = loads(redirect[name].dir);
  if (r.status !== 0) die(`${name} still does not load on Node ${nodeVersion} after rebuilding: ${r.stderr.trim().split('\n')[0]}`);
  console.log(`test-node24: ${name} loads on Node ${nodeVersion} from its rebuilt copy`);
}

// the same runner as npm test, on Node 24; `node` on the PATH is Node 24 too, for the processes tests start
const env = {
  ...process.env,
  PATH: `${join(home, 'bin')}:${process.env.PATH}`,
  NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${pathToFileURL(hooks).href}`.trim(),
  CHOT_SKIP_LINT: '1', // npm test has linted this same tree on Node 20
};
console.log(`test-node24: the suite on Node ${nodeVersion}`);
const run = spawnSync(node24, [join(repo, 'scripts', 'test.mjs'), ...process.argv.slice(2)], { cwd: repo, env, stdio: 'inherit' });
process.exit(run.status ?? 1);
