/**
 * Builds the dashboard (web/) into dist/web with esbuild: one hashed JS and CSS bundle under
 * dist/web/assets (cached for a year by the server) and an index.html naming them (never cached).
 * Run by `npm run build:web` and by postinstall, so `npm ci && npm start` serves it; run so, it
 * first writes the dashboard's types from the OpenAPI document (web-types.ts), which esbuild
 * does not need but `tsc -p web` and the editor do. Without web/ (a Docker layer that installs
 * before copying sources) it says so and succeeds.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile, copyFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { writeWebTypes } from './web-types.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Built aside and swapped in only when it differs from what is there: two test files that build
 * it while the other serves it (the suite runs two files at a time) never see it half-written or
 * gone. The names are content hashes, so an equal index.html means equal files.
 */
export async function buildWeb(outDir = join(root, 'dist', 'web')): Promise<void> {
  const building = `${outDir}.building-${process.pid}`;
  await buildInto(building);
  const index = (dir: string) => readFile(join(dir, 'index.html'), 'utf8').catch(() => null);
  if ((await index(building)) === (await index(outDir))) {
    await rm(building, { recursive: true, force: true });
    return;
  }
  const old = `${outDir}.old-${process.pid}`;
  await rename(outDir, old).catch(() => {});
  await rename(building, outDir);
  await rm(old, { recursive: true, force: true });
}

async function buildInto(outDir: string): Promise<void> {
  const webDir = join(root, 'web');
  const assets = join(outDir, 'assets');
  await rm(outDir, { recursive: true, force: true });
  await mkdir(assets, { recursive: true });
  const result = await build({
    entryPoints: [join(webDir, 'src', 'main.ts')],
    bundle: true,
    format: 'esm',
    target: 'es2022',
    minify: true,
    sourcemap: 'linked',
    outdir: assets,
    entryNames: '[name]-[hash]',
    assetNames: '[name]-[hash]',
    metafile: true,
    logLevel: 'warning',
  });
  const outputs = Object.keys(result.metafile.outputs).map((p) => resolve(root, p));
  const js = outputs.find((p) => p.endsWith('.js'));
  const css = outputs.find((p) => p.endsWith('.css'));
  if (!js || !css) throw new Error('esbuild produced no JS or CSS bundle');
  const icon = `favicon-${(await hashOf(join(webDir, 'favicon.svg'))).slice(0, 8)}.svg`;
  await copyFile(join(webDir, 'favicon.svg'), join(assets, icon));
  const url = (p: string) => `/assets/${relative(assets, p).split('\\').join('/')}`;
  const html = (await readFile(join(webDir, 'index.html'), 'utf8'))
    .replace('%MAIN_JS%', url(js))
    .replace('%MAIN_CSS%', url(css))
    .replace('%FAVICON%', `/assets/${icon}`);
  await writeFile(join(outDir, 'index.html'), html);
}

async function hashOf(file: string): Promise<string> {
  const { createHash } = await import('node:crypto');
  return createHash('sha256')
    .update(await readFile(file))
    .digest('hex');
}

if (process.argv[1] && basename(process.argv[1]) === 'build-web.ts') {
  if (!existsSync(join(root, 'web', 'src', 'main.ts'))) {
    console.log('build:web: no web/ folder here; the dashboard is not built (the API still runs)');
  } else {
    await writeWebTypes();
    await buildWeb();
    console.log('build:web: dashboard built into dist/web');
  }
}
