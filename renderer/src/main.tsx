import { createRoot } from 'react-dom/client';
import { App } from './App.tsx';
import { ready } from './api.ts';
import './styles.css';

// A sign-in link's one-time code is traded first (api.ts), so that the app starts signed in.
void ready.then(() => createRoot(document.getElementById('root')!).render(<App />));
