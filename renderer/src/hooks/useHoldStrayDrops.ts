/**
 * A file dragged onto the page and let go outside a drop zone would have the browser open it in
 * place of the dashboard (and the desktop app refuse to navigate to it). While the app is
 * shown, such drops are held: only the zones that take files (the Jobs page's fields) act.
 */
import { useEffect } from 'react';

export function useHoldStrayDrops(): void {
  useEffect(() => {
    const hold = (e: DragEvent) => {
      if (e.dataTransfer?.types.includes('Files')) e.preventDefault();
    };
    window.addEventListener('dragover', hold);
    window.addEventListener('drop', hold);
    return () => {
      window.removeEventListener('dragover', hold);
      window.removeEventListener('drop', hold);
    };
  }, []);
}
