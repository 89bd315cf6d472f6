// Electron Forge packaging. `npm run package` bundles main/preload with esbuild first (see
// electron/build.ts) and ships dist/ plus the native runtime dependencies.
const config = {
  packagerConfig: {
    name: 'Skillframe',
    executableName: 'skillframe',
    asar: { unpack: '**/{*.node,ffmpeg,*.so*,*.onnx}' },
    ignore: [/^\/(tests|bench|renderer|core|native|engine|skills-mm|scripts|\.ci)\//, /\.ts$/],
  },
  hooks: {
    generateAssets: async () => {
      const { buildElectron } = await import('./electron/build.ts');
      await buildElectron(process.cwd());
    },
  },
  makers: [
    { name: '@electron-forge/maker-zip', platforms: ['linux', 'darwin', 'win32'], config: {} },
  ],
};

export default config;
