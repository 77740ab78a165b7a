// Staff and the terminal's contractor set the reporting interval a terminal was configured to by
// hand (e.g. at installation); the watchdog then expects that, unless the terminal acknowledged a
// SET_INTERVAL since (that always wins) or a vehicle is parked.
import { useState } from 'preact/hooks';
import { api } from '../api';

export function IntervalOverride(props: { serial: string; current: number | null; onSaved: () => void }) {
  const [seconds, setSeconds] = useState(String(props.current ?? ''));
  const [msg, setMsg] = useState<{ bad: boolean; text: string } | null>(null);
  async function save(value: number | null) {
    try {
      await api(`/devices/${props.serial}`, { method: 'PATCH', body: { expectedIntervalSec: value } });
      setMsg({ bad: false, text: value === null ? 'Override cleared.' : `Expected every ${value} s.` });
      props.onSaved();
    } catch (err) {
      setMsg({ bad: true, text: err instanceof Error ? err.message : String(err) });
    }
  }
  return (
    <form
      class="filters"
      data-testid="interval-override"
      onSubmit={(e) => {
        e.preventDefault();
        void save(Number(seconds));
      }}
    >
      <label class="inline">
        expect every{' '}
        <input
          type="number"
          name="expectedIntervalSec"
          min={1}
          max={604800}
          value={seconds}
          onInput={(e) => setSeconds(e.currentTarget.value)}
          aria-label="Expected interval in seconds"
        />{' '}
        s
      </label>
      <button type="submit" class="primary" disabled={!/^\d+$/.test(seconds) || Number(seconds) < 1}>
        Set override
      </button>
      <button type="button" class="ghost" onClick={() => void save(null)}>
        Clear override
      </button>
      {msg && <span class={msg.bad ? 'bad-text' : 'ok-text'}>{msg.text}</span>}
    </form>
  );
}
