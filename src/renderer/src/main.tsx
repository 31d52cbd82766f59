import { createRoot } from 'react-dom/client';

function App() {
  return <main>Band Console</main>;
}

createRoot(document.getElementById('root') as HTMLElement).render(<App />);
