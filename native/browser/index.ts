export { chromiumFlags, chromiumPath } from './chromium-path.ts';
export { launchBrowser, type BrowserSession, type LaunchBrowserOptions } from './browser.ts';
