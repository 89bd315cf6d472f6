import { contextBridge, ipcRenderer } from 'electron';
import { exposeBridge } from './preload-bridge.ts';

exposeBridge(contextBridge, ipcRenderer);
