import { createGraphiQLFetcher, type Fetcher } from '@graphiql/toolkit';
import { GraphiQL } from 'graphiql';
import 'graphiql/style.css';
import { parse } from 'graphql';
import { setNonce } from 'get-nonce';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { authorization, readApiKey, webSocketUrl } from './api-key';
import './explorer.css';

/**
 * GraphiQL from the gateway's own build (no CDN), talking to this origin:
 * queries and mutations over HTTP, subscriptions over graphql-ws. The API key
 * typed into the console (same tab) is used here too; another one can be set
 * in the Headers editor ({"authorization": "Bearer …"}), which also goes into
 * the socket's connectionParams.
 */
// GraphiQL's dialogs add a <style> element (react-remove-scroll); the page's CSP admits it by this response's nonce.
setNonce(document.querySelector<HTMLMetaElement>('meta[name="style-nonce"]')?.content ?? '');

const auth = authorization(readApiKey());
const toolkitFetcher = createGraphiQLFetcher({
  url: '/graphql',
  subscriptionUrl: webSocketUrl(),
  headers: { 'Apollo-Require-Preflight': 'true', ...auth },
  wsConnectionParams: auth,
});

/**
 * The toolkit picks WebSocket or HTTP from the editor's parsed document, which
 * lags behind fast typing (Ctrl-Enter right after an edit sends a subscription
 * over HTTP, which the gateway refuses): parse the text actually sent instead.
 */
const fetcher: Fetcher = (params, options) => {
  let documentAST = options?.documentAST;
  try {
    documentAST = parse(params.query);
  } catch {
    // not valid GraphQL: the gateway answers GRAPHQL_PARSE_FAILED
  }
  return toolkitFetcher(params, { ...options, documentAST });
};

const DEFAULT_QUERY = `# Ctrl-Enter runs the operation.
# caption and answer ask the model
# (tokens); stored lists do not.
{
  images(first: 5) {
    edges {
      node {
        id
        width
        height
        captions { style text }
      }
    }
  }
}
`;

createRoot(document.getElementById('graphiql')!).render(
  <StrictMode>
    <GraphiQL fetcher={fetcher} defaultQuery={DEFAULT_QUERY} />
  </StrictMode>,
);
