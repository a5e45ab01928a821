import { useState } from 'react';
import { authorization, readApiKey } from './api-key';
import { saveFile } from './csv';

/**
 * Downloads every conversation with its messages as JSON Lines
 * (GET /export/conversations.jsonl). That route takes the key as a header,
 * not a signed link, so the page fetches the file and saves it.
 */
export function ConversationExport() {
  const [state, setState] = useState<{ busy: boolean; problem: string | null }>({ busy: false, problem: null });
  const run = async () => {
    setState({ busy: true, problem: null });
    try {
      const response = await fetch('/export/conversations.jsonl', { headers: authorization(readApiKey()) });
      if (!response.ok) throw new Error(`The export was refused (HTTP ${response.status}): ${(await response.text()).slice(0, 300)}`);
      const name = /filename="?([^";]+)"?/.exec(response.headers.get('content-disposition') ?? '')?.[1] ?? 'conversations.jsonl';
      saveFile(name, await response.blob());
      setState({ busy: false, problem: null });
    } catch (error) {
      setState({ busy: false, problem: error instanceof Error ? error.message : String(error) });
    }
  };
  return (
    <>
      <button type="button" className="secondary" disabled={state.busy} onClick={() => void run()}>
        {state.busy ? 'Exporting…' : 'Export all as JSON Lines'}
      </button>
      {state.problem && (
        <p className="notice error" role="alert">
          {state.problem}
        </p>
      )}
    </>
  );
}
