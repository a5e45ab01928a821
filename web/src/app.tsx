import { ApolloProvider, useQuery } from '@apollo/client/react';
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { createGatewayClient } from './apollo';
import { readApiKey, storeApiKey } from './api-key';
import { AnswersPage } from './pages/answers-page';
import { ConversationPage } from './pages/conversation-page';
import { ConversationsPage } from './pages/conversations-page';
import { ImagePage } from './pages/image-page';
import { ImagesPage } from './pages/images-page';
import { JobsPage } from './pages/jobs-page';
import { UsagePage } from './pages/usage-page';
import { problemsOf } from './problems';
import { KEY_CHECK } from './operations';
import { hrefOf, useRoute, type Route } from './route';

/** The gateway marks the page when GET /graphql serves GraphiQL (EXPLORER). */
const EXPLORER_ON = document.querySelector<HTMLMetaElement>('meta[name="gateway-explorer"]')?.content === 'on';

const NAV: Array<{ route: Route; label: string }> = [
  { route: { page: 'images' }, label: 'Images' },
  { route: { page: 'jobs' }, label: 'Jobs' },
  { route: { page: 'answers' }, label: 'Answers' },
  { route: { page: 'conversations' }, label: 'Conversations' },
  { route: { page: 'usage' }, label: 'Usage' },
];

function pageOf(route: Route) {
  switch (route.page) {
    case 'image':
      return <ImagePage key={route.id} id={route.id} />;
    case 'conversation':
      return <ConversationPage key={route.id} id={route.id} />;
    case 'jobs':
      return <JobsPage />;
    case 'answers':
      return <AnswersPage />;
    case 'conversations':
      return <ConversationsPage />;
    case 'images':
      return <ImagesPage />;
    case 'usage':
      return <UsagePage />;
    case 'not-found':
      return <NotFoundPage path={route.path} />;
  }
}

function NotFoundPage({ path }: { path: string }) {
  return (
    <>
      <h1 tabIndex={-1}>Page not found</h1>
      <p>
        The console has no page <code className="code">#/{path}</code>. Go to <a href={hrefOf({ page: 'images' })}>Images</a>, or pick a page in the menu.
      </p>
    </>
  );
}

/** The menu entry a page belongs to (one image under Images, one conversation under Conversations). */
const SECTION: Record<Route['page'], Route['page'] | null> = {
  images: 'images',
  image: 'images',
  jobs: 'jobs',
  answers: 'answers',
  conversations: 'conversations',
  conversation: 'conversations',
  usage: 'usage',
  'not-found': null,
};

export function App() {
  const [apiKey, setApiKey] = useState(readApiKey);
  const [gateway, setGateway] = useState(() => createGatewayClient(apiKey));
  // A new key is a new client: new Authorization header, new socket (the old one closes), empty cache.
  const changeKey = (key: string) => {
    storeApiKey(key);
    gateway.dispose();
    setGateway(createGatewayClient(key));
    setApiKey(key);
  };
  const route = useRoute();
  const routeKey = hrefOf(route);
  const main = useRef<HTMLElement>(null);
  const focusHeading = () => main.current?.querySelector<HTMLElement>('h1')?.focus();

  // On navigation, move focus to the new page's heading (screen readers announce it).
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    focusHeading();
  }, [routeKey]);

  const current = SECTION[route.page];

  return (
    <ApolloProvider client={gateway.client}>
      <a
        className="skip-link"
        href="#main"
        onClick={(event) => {
          event.preventDefault();
          focusHeading();
        }}
      >
        Skip to content
      </a>
      <header className="top">
        <span className="brand">Qwen VL gateway</span>
        <nav aria-label="Pages">
          <ul>
            {NAV.map(({ route: target, label }) => (
              <li key={label}>
                <a href={hrefOf(target)} aria-current={current === target.page ? 'page' : undefined}>
                  {label}
                </a>
              </li>
            ))}
            {EXPLORER_ON && (
              <li>
                <a href="/graphql">GraphQL explorer</a>
              </li>
            )}
          </ul>
        </nav>
        <ApiKeyForm apiKey={apiKey} onChange={changeKey} />
      </header>
      <main id="main" ref={main}>
        {pageOf(route)}
      </main>
    </ApolloProvider>
  );
}

/** The key is applied on submit (not per keystroke): each change reconnects the socket. */
function ApiKeyForm({ apiKey, onChange }: { apiKey: string; onChange(key: string): void }) {
  const [draft, setDraft] = useState(apiKey);
  const apply = (event: FormEvent) => {
    event.preventDefault();
    onChange(draft.trim());
  };
  return (
    <form className="api-key" onSubmit={apply}>
      <label htmlFor="api-key">API key</label>
      <input
        id="api-key"
        type="password"
        autoComplete="off"
        spellCheck={false}
        value={draft}
        onChange={(e) => setDraft(e.target.value)}
        placeholder="only when keys are required"
        aria-describedby="api-key-status"
      />
      <button type="submit" className="secondary">
        Use key
      </button>
      {apiKey && (
        <button
          type="button"
          className="secondary"
          onClick={() => {
            setDraft('');
            onChange('');
          }}
        >
          Forget
        </button>
      )}
      <KeyStatus apiKey={apiKey} />
    </form>
  );
}

/** Whether the gateway takes the key, asked once per key (each key has its own client). */
function KeyStatus({ apiKey }: { apiKey: string }) {
  const check = useQuery(KEY_CHECK, { skip: !apiKey, fetchPolicy: 'network-only' });
  const code = problemsOf(check.error)[0]?.code;
  const [text, refused] = !apiKey
    ? ['No key', false]
    : check.loading
      ? ['Checking the key…', false]
      : code === 'UNAUTHENTICATED'
        ? ['Key refused: the gateway does not know this key (or it was revoked)', true]
        : check.error && !code
          ? ['Key not checked: the gateway cannot be reached', true]
          : ['Key in use (kept for this tab only)', false];
  return (
    <span id="api-key-status" className={refused ? 'hint refused' : 'hint'} role="status">
      {text}
    </span>
  );
}
