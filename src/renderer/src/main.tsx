import { createRoot } from 'react-dom/client';
// the palette (styles.css) first: the grids and the chart read it
import './styles.css';
import './grid';
import { App } from './App';
import { connect } from './store';

// Connect before the first render: screens fetch their data in effects that run before the App's own.
connect();
createRoot(document.getElementById('root') as HTMLElement).render(<App />);
