// The page's frame: the access panel where the tokens are entered (kept in this tab only), and
// the notices that confirm a write or show its refusal (errors are announced as alerts).
import { useState } from "preact/hooks";
import { tokens } from "./api.js";

/** A message for the operator. */
export interface Notice {
  readonly id: number;
  readonly kind: "info" | "error";
  readonly text: string;
}

/** Shows a notice. */
export type Notify = (kind: Notice["kind"], text: string) => void;

/** Token entry: a read token (nodes with --require-client-token) and an admin token (writes). */
export function AccessPanel({ onSave }: { onSave: (read: string, admin: string) => void }) {
  const [read, setRead] = useState(tokens.read());
  const [admin, setAdmin] = useState(tokens.admin());
  const [open, setOpen] = useState(false);
  return (
    <details class="access" open={open} onToggle={(event) => setOpen(event.currentTarget.open)}>
      <summary>Access tokens{admin !== "" ? " (admin token set)" : ""}</summary>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          onSave(read, admin);
          setOpen(false);
        }}
      >
        <label>
          Read token <span class="hint">(only where the node requires one)</span>
          <input type="password" autocomplete="off" value={read} onInput={(event) => setRead(event.currentTarget.value)} />
        </label>
        <label>
          Admin token <span class="hint">(for writes)</span>
          <input type="password" autocomplete="off" name="admin-token" value={admin} onInput={(event) => setAdmin(event.currentTarget.value)} />
        </label>
        <button type="submit">Save for this tab</button>
      </form>
    </details>
  );
}

/** Recent notices; errors are alerts, the rest polite status messages. */
export function Notices({ notices, onDismiss }: { notices: readonly Notice[]; onDismiss: (id: number) => void }) {
  const errors = notices.filter((notice) => notice.kind === "error");
  const infos = notices.filter((notice) => notice.kind === "info");
  const item = (notice: Notice) => (
    <li key={notice.id} class={`notice ${notice.kind}`} data-testid={`notice-${notice.kind}`}>
      <span>{notice.text}</span>
      <button type="button" class="link" aria-label="Dismiss" onClick={() => onDismiss(notice.id)}>
        ×
      </button>
    </li>
  );
  return (
    <div class="notices">
      <ul role="alert">{errors.map(item)}</ul>
      <ul role="status">{infos.map(item)}</ul>
    </div>
  );
}
