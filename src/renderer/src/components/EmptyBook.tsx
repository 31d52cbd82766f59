// A book with no positions (not the demo one): what to do next, instead of blank grids.
import { useConsole } from '../store';

export function EmptyBook() {
  const file = useConsole((s) => s.status?.config.file ?? null);
  const source = useConsole((s) => s.status?.price_source ?? null);
  return (
    <section className="panel empty-book" aria-labelledby="empty-book-title" data-testid="empty-book">
      <div className="panel-head">
        <h2 id="empty-book-title">No positions yet</h2>
        <span className="sub">this book is empty: the controller has nothing to measure</span>
      </div>
      <ol className="panel-body steps">
        <li>
          <strong>Import the positions</strong> from a CSV with the columns <code>bucket,symbol,qty,avg_cost</code> (bucket LT or MM):
          <pre>
            <code>bandctl import-positions --db BOOK.db FILE.csv</code>
          </pre>
        </li>
        <li>
          <strong>Set where prices come from</strong>
          {source ? <span className="muted"> (now: {source})</span> : null}: the streams (<code>streams.redis_url</code>,{' '}
          <code>streams.ticks_stream</code>) in <code>{file ?? 'risk_rules.yaml'}</code>, or load ticks with{' '}
          <code>bandctl prices --db BOOK.db TICKS.csv</code>.
        </li>
        <li>
          <strong>Then watch the band</strong>: the controller evaluates every cycle, and what it proposes waits here under Approvals.
        </li>
      </ol>
    </section>
  );
}
