import { useEffect, useRef, useState, type ReactNode } from 'react';

/**
 * Less frequent actions behind one button, so that a list's row or the viewer's toolbar stays one line on a laptop's
 * screen: opened by its button, closed by it again, by Escape or by a click elsewhere (not by a dialog an action opens);
 * `children` as a function gets `close`, for an action that ends the menu's use.
 */
export function MenuButton({
  label,
  title,
  children,
  className = '',
  active = false,
}: {
  label: string;
  title?: string;
  children: ReactNode | ((close: () => void) => ReactNode);
  className?: string;
  active?: boolean;
}) {
  const [open, setOpen] = useState(false);
  const host = useRef<HTMLSpanElement>(null);
  useEffect(() => {
    if (!open) return;
    const inDialog = () => !!document.querySelector('dialog[open]');
    const click = (e: MouseEvent) => {
      if (!inDialog() && !host.current?.contains(e.target as Node)) setOpen(false);
    };
    // Escape closes the menu and nothing else (the viewer takes Escape as "back to the list" otherwise).
    const key = (e: KeyboardEvent) => {
      if (e.key !== 'Escape' || inDialog()) return;
      e.stopPropagation();
      setOpen(false);
    };
    document.addEventListener('mousedown', click);
    document.addEventListener('keydown', key);
    return () => {
      document.removeEventListener('mousedown', click);
      document.removeEventListener('keydown', key);
    };
  }, [open]);
  return (
    <span className={`menu-button ${className}`} ref={host}>
      <button
        type="button"
        className={active ? 'active' : undefined}
        aria-expanded={open}
        aria-haspopup="true"
        title={title}
        onClick={() => setOpen(!open)}
      >
        {label}
        <span aria-hidden="true"> ▾</span>
      </button>
      {open && (
        <div className="menu-panel" role="group" aria-label={label}>
          {typeof children === 'function' ? children(() => setOpen(false)) : children}
        </div>
      )}
    </span>
  );
}
