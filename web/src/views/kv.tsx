// KV view: the namespaces and their keys, and put and delete (admin writes, replicated to every
// node by gossip).
import { useState } from "preact/hooks";
import { adminWrite, usePoll, type ApiError } from "../api.js";
import type { Notify } from "../chrome.js";
import type { KvNamespacesAnswer } from "../types.js";

const KV_POLL_MS = 2_000;

export function KvView({ notify, refreshKey }: { notify: Notify; refreshKey: number }) {
  const [bump, setBump] = useState(0);
  const [selected, setSelected] = useState<string | null>(null);
  const namespaces = usePoll<KvNamespacesAnswer>("v1/kv", KV_POLL_MS, refreshKey + bump);
  const table = usePoll<{ namespace: string; table: Record<string, string> }>(
    selected === null ? null : `v1/kv/${encodeURIComponent(selected)}`,
    KV_POLL_MS,
    refreshKey + bump,
  );
  const write = async (name: "kv-put" | "kv-delete", body: Record<string, string>, done: string): Promise<boolean> => {
    try {
      await adminWrite(name, body);
      notify("info", done);
      setBump((value) => value + 1);
      return true;
    } catch (error) {
      const refusal = error as ApiError;
      notify("error", `refused: ${name}: ${refusal.errorName}: ${refusal.message}`);
      return false;
    }
  };
  const list = namespaces.data?.namespaces ?? [];
  return (
    <section class="split">
      <div class="search">
        <h2>KV namespaces</h2>
        {list.length === 0 ? <p class="muted">No namespace written yet.</p> : null}
        <ul class="pick-list" data-testid="kv-namespaces">
          {list.map(({ namespace, keys }) => (
            <li key={namespace}>
              <button type="button" class={namespace === selected ? "link selected" : "link"} aria-pressed={namespace === selected} onClick={() => setSelected(namespace)}>
                {namespace} <span class="muted small">({keys} keys)</span>
              </button>
            </li>
          ))}
        </ul>
        <PutForm
          namespace={selected ?? ""}
          onPut={(namespace, key, value) => write("kv-put", { namespace, key, value }, `put ${namespace} ${key}`).then((ok) => (ok && setSelected(namespace), ok))}
        />
      </div>
      <div class="detail">
        {selected === null ? (
          <p class="muted">Pick a namespace.</p>
        ) : (
          <>
            <h3>{selected}</h3>
            {table.error && table.data === null ? <p class="muted">{table.error.message}</p> : null}
            <div class="table-wrap">
              <table data-testid="kv-table">
                <thead>
                  <tr>
                    <th scope="col">Key</th>
                    <th scope="col">Value</th>
                    <th scope="col">
                      <span class="sr-only">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {Object.entries(table.data?.namespace === selected ? table.data.table : {}).map(([key, value]) => (
                    <tr key={key} data-key={key}>
                      <th scope="row">
                        <code>{key}</code>
                      </th>
                      <td>
                        <code class="wrap">{value}</code>
                      </td>
                      <td>
                        <button type="button" aria-label={`Delete ${key}`} onClick={() => void write("kv-delete", { namespace: selected, key }, `deleted ${selected} ${key}`)}>
                          Delete
                        </button>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </>
        )}
      </div>
    </section>
  );
}

function PutForm({ namespace, onPut }: { namespace: string; onPut: (namespace: string, key: string, value: string) => Promise<boolean> }) {
  const [ns, setNs] = useState("");
  const [key, setKey] = useState("");
  const [value, setValue] = useState("");
  const target = ns === "" ? namespace : ns;
  return (
    <form
      class="kv-form"
      onSubmit={(event) => {
        event.preventDefault();
        void onPut(target, key, value).then((ok) => {
          if (ok) {
            setKey("");
            setValue("");
          }
        });
      }}
    >
      <h3>Put a key</h3>
      <label>
        Namespace
        <input value={ns} placeholder={namespace} required={namespace === ""} onInput={(event) => setNs(event.currentTarget.value)} />
      </label>
      <label>
        Key
        <input value={key} required onInput={(event) => setKey(event.currentTarget.value)} />
      </label>
      <label>
        Value
        <input value={value} required onInput={(event) => setValue(event.currentTarget.value)} />
      </label>
      <button type="submit">Put</button>
    </form>
  );
}
