import { NotYet, Page } from '../components/common.tsx';

export function ExplorePage() {
  return (
    <Page title="Explore" subtitle="GUI-DFS explores an app on its own and grows a state graph.">
      <NotYet capability="Exploration" command="explore" />
    </Page>
  );
}
