import { useState, type DragEvent } from 'react';

/**
 * A drop zone for files: `over` while files are dragged over it, and the handlers to spread on it; `onDrop` gets what
 * was dropped (the DataTransfer, so a caller may read folders too).
 */
export function useFileDrop(onDrop: (dropped: DataTransfer) => void): {
  over: boolean;
  handlers: {
    onDragOver: (e: DragEvent) => void;
    onDragLeave: () => void;
    onDrop: (e: DragEvent) => void;
  };
} {
  const [over, setOver] = useState(false);
  return {
    over,
    handlers: {
      onDragOver: (e) => {
        if (e.dataTransfer.types.includes('Files')) {
          e.preventDefault();
          setOver(true);
        }
      },
      onDragLeave: () => setOver(false),
      onDrop: (e) => {
        e.preventDefault();
        setOver(false);
        onDrop(e.dataTransfer);
      },
    },
  };
}
