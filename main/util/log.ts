/** One line per event: time, level, what happened and with whom. Sinks are pluggable so tests and the API can read it. */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface LogRecord {
  time: Date;
  level: LogLevel;
  source: string;
  message: string;
}

export type LogSink = (record: LogRecord) => void;

export class Logger {
  private readonly sinks: LogSink[] = [];
  level: LogLevel;
  /** Levels of their own for some sources (LogSourceLevels: `store-scp` at debug while the rest stays at info). */
  sourceLevels: ReadonlyMap<string, LogLevel> = new Map();

  constructor(level: LogLevel = 'info') {
    this.level = level;
  }

  addSink(sink: LogSink): () => void {
    this.sinks.push(sink);
    return () => {
      const i = this.sinks.indexOf(sink);
      if (i >= 0) this.sinks.splice(i, 1);
    };
  }

  child(source: string): SourceLogger {
    return new SourceLogger(this, source);
  }

  write(level: LogLevel, source: string, message: string): void {
    if (ORDER[level] < ORDER[this.sourceLevels.get(source) ?? this.level]) return;
    const record = { time: new Date(), level, source, message };
    for (const sink of this.sinks) sink(record);
  }
}

export class SourceLogger {
  private readonly root: Logger;
  readonly source: string;
  constructor(root: Logger, source: string) {
    this.root = root;
    this.source = source;
  }
  debug(message: string): void {
    this.root.write('debug', this.source, message);
  }
  info(message: string): void {
    this.root.write('info', this.source, message);
  }
  warn(message: string): void {
    this.root.write('warn', this.source, message);
  }
  error(message: string): void {
    this.root.write('error', this.source, message);
  }
}

export function consoleSink(record: LogRecord): void {
  process.stderr.write(
    `${record.time.toISOString()} ${record.level.toUpperCase().padEnd(5)} [${record.source}] ${record.message}\n`,
  );
}
