/** The IPC channel names shared by main and preload; nothing else crosses the bridge. */
export const invokeChannel = 'skillframe:invoke';
export const eventChannel = 'skillframe:event';
