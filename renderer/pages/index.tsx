import type { ComponentType } from 'preact';
import { ExplorePage } from './explore.tsx';
import { FleetPage } from './fleet.tsx';
import { HomePage } from './home.tsx';
import { LibraryPage } from './library.tsx';
import { RecordingsPage } from './recordings.tsx';
import { ReplayPage } from './replay.tsx';
import { RobotPage } from './robot.tsx';
import { SettingsPage } from './settings.tsx';

export interface PageEntry {
  route: string;
  title: string;
  component: ComponentType;
}

/** Every page of the UI, in navigation order. One file per page; each room owns its page. */
export const pages: PageEntry[] = [
  { route: 'home', title: 'Overview', component: HomePage },
  { route: 'library', title: 'Library', component: LibraryPage },
  { route: 'recordings', title: 'Recordings', component: RecordingsPage },
  { route: 'replay', title: 'Replay', component: ReplayPage },
  { route: 'explore', title: 'Explore', component: ExplorePage },
  { route: 'robot', title: 'Robot', component: RobotPage },
  { route: 'fleet', title: 'Fleet', component: FleetPage },
  { route: 'settings', title: 'Settings', component: SettingsPage },
];
