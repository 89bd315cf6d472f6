import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { createClient } from './client.ts';
import { AvailableContext, ClientContext } from './components/common.tsx';
import { ConfirmDialog } from './components/confirm.tsx';
import { pages } from './pages/index.tsx';

const client = createClient();

function currentRoute(): string {
  const hash = window.location.hash.replace(/^#\/?/, '');
  return hash.split('/')[0] || 'home';
}

function App() {
  const [route, setRoute] = useState(currentRoute());
  const [available, setAvailable] = useState<Set<string>>(new Set());
  const [connected, setConnected] = useState<boolean | undefined>(undefined);

  useEffect(() => {
    const onHash = () => setRoute(currentRoute());
    window.addEventListener('hashchange', onHash);
    client.invoke('commands', {}).then(
      (list) => {
        setAvailable(new Set(list.commands.map((command) => command.name)));
        setConnected(true);
      },
      () => setConnected(false),
    );
    return () => window.removeEventListener('hashchange', onHash);
  }, []);

  const page = pages.find((candidate) => candidate.route === route) ?? pages[0];
  const Body = page.component;
  return (
    <ClientContext.Provider value={client}>
      <AvailableContext.Provider value={available}>
        <nav aria-label="Pages">
          <div class="brand">
            Skill<span>frame</span>
          </div>
          {pages.map((candidate) => (
            <a key={candidate.route} href={`#/${candidate.route}`} class={candidate.route === page.route ? 'active' : ''} data-route={candidate.route}>
              {candidate.title}
            </a>
          ))}
          <div class="spacer" />
          <div class="status" data-connection={String(connected)}>
            {connected === undefined ? 'connecting…' : connected ? '● host connected' : '● host unreachable'}
          </div>
        </nav>
        <main>
          <Body />
        </main>
        <ConfirmDialog />
      </AvailableContext.Provider>
    </ClientContext.Provider>
  );
}

render(<App />, document.getElementById('app') as HTMLElement);
