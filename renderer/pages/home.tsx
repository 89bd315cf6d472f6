import { ErrorLine, Page, useClient, useLoad } from '../components/common.tsx';

/** Overview: what Skillframe does and what this machine offers (the doctor). */
export function HomePage() {
  const client = useClient();
  const doctor = useLoad(() => client.invoke('doctor', {}));
  return (
    <Page title="Overview" subtitle="Record a task once, build a multimodal skill, replay it on tomorrow's screen.">
      <div class="grid" style={{ marginBottom: 20 }}>
        <div class="card"><h3>1 · Record</h3><p class="muted">A person uses a desktop app or a web page; Skillframe keeps screenshots, input events and the accessibility/DOM tree.</p></div>
        <div class="card"><h3>2 · Build</h3><p class="muted">The recording becomes an MMSkills package: SKILL.md, state cards and multi-view keyframes.</p></div>
        <div class="card"><h3>3 · Replay</h3><p class="muted">Each step is grounded again on the live screen and verified; nothing is clicked when unsure.</p></div>
      </div>
      <h2 style={{ fontSize: 16 }}>This machine</h2>
      <ErrorLine error={doctor.error} />
      {doctor.loading && !doctor.value && <p class="muted">Checking…</p>}
      {doctor.value && (
        <table data-doctor>
          <thead>
            <tr><th>Check</th><th>Status</th><th>Detail</th><th>Fix</th></tr>
          </thead>
          <tbody>
            {doctor.value.checks.map((check) => (
              <tr key={check.name}>
                <td>{check.name}</td>
                <td><span class={`badge ${check.status}`}>{check.status}</span></td>
                <td>{check.detail}</td>
                <td>{check.fix ? <code>{check.fix}</code> : ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Page>
  );
}
