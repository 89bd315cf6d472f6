export { centerOf, matchesQuery, sameXClient, type WindowInfo, type WindowQuery, type WindowSystem } from './window.ts';
export { FakeWindows } from './fake-windows.ts';
export { launchApp, type LaunchedApp } from './launch.ts';
export { parseActiveLine, parseStackingLine, parseTitleLine, watchActiveWindow, watchStacking, watchTitle, type PropertyWatch, type TitleWatch } from './title-watch.ts';

export async function createWindows(env: NodeJS.ProcessEnv = process.env) {
  return new (await import('./xdotool-windows.ts')).XdotoolWindows(env);
}
