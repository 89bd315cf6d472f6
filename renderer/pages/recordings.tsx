import { NotYet, Page } from '../components/common.tsx';

export function RecordingsPage() {
  return (
    <Page title="Recordings" subtitle="Recordings of people using apps and pages, ready to build into skills.">
      <NotYet capability="Recording" command="record" />
    </Page>
  );
}
