// Electron Forge configuration of the staged app (scripts/package.ts copies this file into
// out/stage/ beside the app that electron/package-layout.ts lays out, then runs Forge there).
export default {
  packagerConfig: {
    name: 'Skillframe',
    executableName: 'skillframe',
    // Native code cannot read inside an asar archive: native modules, ffmpeg and models are unpacked.
    asar: { unpack: '**/{*.node,ffmpeg,*.so*,*.onnx,*.txt}' },
  },
  makers: [
    { name: '@electron-forge/maker-zip', platforms: ['linux', 'darwin', 'win32'], config: {} },
    { name: '@electron-forge/maker-deb', platforms: ['linux'], config: { options: { name: 'skillframe', productName: 'Skillframe', categories: ['Development', 'Utility'], section: 'devel' } } },
  ],
};
