import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App, applyTheme } from './App.tsx';
import { ErrorBoundary } from './components/ErrorBoundary.tsx';
import './styles.css';

// Before the settings arrive (the token prompt, too), follow the OS's colour scheme.
applyTheme('system');

const root = document.getElementById('root');
if (root) {
  createRoot(root).render(
    <StrictMode>
      <ErrorBoundary>
        <App />
      </ErrorBoundary>
    </StrictMode>,
  );
}
