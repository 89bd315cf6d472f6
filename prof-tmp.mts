import { serveFolder } from './bench/replay/static-server.ts';
import { webTasks } from './bench/replay/tasks.ts';
import { launchBrowser, openTaskPage, recordWebTaskWithRecorder } from './bench/replay/web-run.ts';
import { fixtureDirectory } from './bench/replay/benchmark.ts';
import { buildSkill } from './skills-mm/builder.ts';
import { replaySkill } from './engine/computer/replay/replay.ts';
import { pageSurface } from './engine/computer/replay/web-surface.ts';
import { existsSync } from 'node:fs';
const server = await serveFolder(fixtureDirectory);
const browser = await launchBrowser();
const task = webTasks.find(t => t.name === (process.argv[2] ?? 'web-form-signup'))!;
const dir = `/tmp/prof-${task.name}`;
if (!existsSync(dir + '/skill/plan.json')) {
  await recordWebTaskWithRecorder(server.url, task, dir + '/rec').then(() => console.log('via recorder')).catch(async () => { const { rmSync } = await import('node:fs'); rmSync(dir + '/rec', { recursive: true, force: true }); const { recordWebTask } = await import('./bench/replay/web-run.ts'); await recordWebTask(browser, server.url, task, dir + '/rec'); });
  await buildSkill({ trajectoryDir: dir + '/rec', outDir: dir + '/skill', name: task.name });
}
for (let i = 0; i < 2; i++) {
  const s = await openTaskPage(browser, server.url, task, 'reordered');
  const surface = pageSurface(s.page);
  let caps = 0; let capMs = 0;
  const counted = { ...surface, capture: async () => { caps++; const t = performance.now(); const r = await surface.capture(); capMs += performance.now() - t; return r; } };
  const report = await replaySkill({ skillDirectory: dir + '/skill', surface: counted, confirm: 'auto', autoApproveTier: 'input' });
  console.log(report.ok, report.totalMs, 'captures', caps, Math.round(capMs));
  for (const st of report.steps) console.log(' ', st.index, st.action, st.ms, st.engineMs, st.settledBy, st.reason?.slice(0, 100));
  await s.dispose();
}
await browser.close(); await server.dispose();
