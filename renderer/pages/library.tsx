import { NotYet, Page } from '../components/common.tsx';

export function LibraryPage() {
  return (
    <Page title="Library" subtitle="Skills in your library, with their keyframes, audit result and permission tier.">
      <NotYet capability="Skill library" command="library.list" />
    </Page>
  );
}
