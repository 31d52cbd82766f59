import { createRoot } from 'react-dom/client';
import './grid';
import './styles.css';
import { App } from './App';
import { connect } from './store';

// Connect before the first render: screens fetch their data in effects that run before the App's own.
connect();
createRoot(document.getElementById('root') as HTMLElement).render(<App />);
