import { NotYet, Page } from '../components/common.tsx';

export function ReplayPage() {
  return (
    <Page title="Replay" subtitle="Live step log of a replay">
      <NotYet capability=" screenshot, target box, grounding tier and confidence." command="Replay:replay" />
    </Page>
  );
}
