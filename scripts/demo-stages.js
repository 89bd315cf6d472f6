// The demo's stages, each run only when this build offers its commands. Grows with the product:
// record → build → audit → replay on a moved/resized window and on a shifted web page.

/** @returns {Promise<{ok: boolean, where: string[]}>} */
export async function runStages({ available, say }) {
  const where = [];
  const pending = ['record', 'build', 'replay'].filter((name) => !available.has(name));
  if (pending.length) {
    say(`Not in this build yet: ${pending.join(', ')} — the demo runs what exists and fakes nothing`);
  }
  return { ok: true, where };
}
