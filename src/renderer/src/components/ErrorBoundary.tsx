// One screen's error boundary: a screen that throws while rendering shows what broke in its own place, and the
// header, the navigation and the other screens keep working (without it React unmounts the whole window).
import { Component, type ErrorInfo, type ReactNode } from 'react';

interface Props {
  /** The screen's name, as the navigation shows it. */
  screen: string;
  /**
   * Fetches the screen's data afresh. A screen that threw never ran its effects, so without this "Try again" would
   * render the same data that broke it.
   */
  reload: () => Promise<unknown>;
  children: ReactNode;
}

interface State {
  error: Error | null;
  componentStack: string;
  retrying: boolean;
}

export class ErrorBoundary extends Component<Props, State> {
  state: State = { error: null, componentStack: '', retrying: false };

  static getDerivedStateFromError(error: unknown): Partial<State> {
    return { error: error instanceof Error ? error : new Error(String(error)) };
  }

  componentDidCatch(error: unknown, info: ErrorInfo): void {
    console.error(`The ${this.props.screen} screen failed to render:`, error, info.componentStack);
    this.setState({ componentStack: info.componentStack ?? '' });
  }

  private readonly retry = async () => {
    this.setState({ retrying: true });
    try {
      await this.props.reload();
    } finally {
      this.setState({ error: null, componentStack: '', retrying: false });
    }
  };

  render(): ReactNode {
    const { error, componentStack, retrying } = this.state;
    if (!error) return this.props.children;
    return (
      <div className="screen" role="region" aria-label={this.props.screen}>
        <section className="panel crash" role="alert" aria-labelledby="crash-title">
          <div className="panel-head">
            <h2 id="crash-title">{this.props.screen} could not be shown</h2>
            <div className="right">
              <button type="button" className="btn" disabled={retrying} onClick={() => void this.retry()}>
                Try again
              </button>
            </div>
          </div>
          <div className="panel-body">
            <p className="crash-message">{error.message || error.name}</p>
            <p className="muted">
              The rest of the console keeps working: the header with the Halt switch, and the other screens (<kbd>1</kbd>–<kbd>5</kbd>).
            </p>
            {componentStack ? (
              <details>
                <summary className="muted">Component stack</summary>
                <pre className="mono">{componentStack.split('\n').map((l) => l.trim()).filter(Boolean).join('\n')}</pre>
              </details>
            ) : null}
          </div>
        </section>
      </div>
    );
  }
}
