import type { ComponentChildren } from 'preact';
import { createContext } from 'preact';
import { useContext, useEffect, useState } from 'preact/hooks';
import type { Client } from '../client.ts';

export const ClientContext = createContext<Client | undefined>(undefined);

export function useClient(): Client {
  const client = useContext(ClientContext);
  if (!client) throw new Error('no client');
  return client;
}

/** The command names this host offers, so pages can tell "not built yet" from "empty". */
export const AvailableContext = createContext<Set<string>>(new Set());

export function useAvailable(name: string): boolean {
  return useContext(AvailableContext).has(name);
}

export interface Loaded<T> {
  value?: T;
  error?: string;
  loading: boolean;
  reload: () => void;
}

/** Runs `load` on mount (and on reload); keeps the last value, the error text and a loading flag. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[] = []): Loaded<T> {
  const [state, setState] = useState<{ value?: T; error?: string; loading: boolean }>({ loading: true });
  const [generation, setGeneration] = useState(0);
  useEffect(() => {
    let alive = true;
    setState((previous) => ({ ...previous, loading: true }));
    load().then(
      (value) => alive && setState({ value, loading: false }),
      (error: Error) => alive && setState({ error: error.message, loading: false }),
    );
    return () => {
      alive = false;
    };
  }, [generation, ...deps]);
  return { ...state, reload: () => setGeneration((value) => value + 1) };
}

export function Page(props: { title: string; subtitle?: string; children?: ComponentChildren; actions?: ComponentChildren }) {
  return (
    <section data-page={props.title.toLowerCase()}>
      <div class="row" style={{ justifyContent: 'space-between' }}>
        <h1>{props.title}</h1>
        <div class="row">{props.actions}</div>
      </div>
      {props.subtitle && <p class="subtitle">{props.subtitle}</p>}
      {props.children}
    </section>
  );
}

export function EmptyState(props: { title: string; children?: ComponentChildren }) {
  return (
    <div class="empty" data-empty>
      <h3>{props.title}</h3>
      {props.children}
    </div>
  );
}

/** Shown where a capability has not landed in this build: honest, with what will come. */
export function NotYet(props: { capability: string; command: string }) {
  return (
    <EmptyState title={`${props.capability} is not in this build yet`}>
      <p>
        This page comes alive when the host offers <code>{props.command}</code>. Nothing here is simulated.
      </p>
    </EmptyState>
  );
}

export function ErrorLine(props: { error?: string }) {
  return props.error ? <p class="error" role="alert">{props.error}</p> : null;
}
