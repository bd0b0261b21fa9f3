import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

// No Docker engine runs here, so this checks what can be checked without building the image.
describe('Dockerfile', () => {
  const dockerfile = readFileSync('Dockerfile', 'utf8');
  const instructions = dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .filter((line) => line.trim() && !line.trim().startsWith('#'));

  it('builds in one stage and runs on Node 24 slim in another, as a non-root user', () => {
    const froms = instructions.filter((line) => line.startsWith('FROM '));
    expect(froms).toEqual(['FROM node:24-slim AS build', 'FROM node:24-slim AS runtime']);
    const runtime = instructions.slice(instructions.indexOf('FROM node:24-slim AS runtime'));
    expect(runtime).toContain('USER node');
    expect(runtime.some((line) => line.startsWith('COPY --from=build'))).toBe(true);
    expect(runtime.some((line) => /apt-get|npm ci/.test(line))).toBe(false);
  });

  it('keeps the store on a volume and checks health with a script the build produces', () => {
    expect(instructions).toContain('VOLUME ["/app/data"]');
    const health = instructions.find((line) => line.startsWith('HEALTHCHECK'))!;
    expect(health).toContain('dist/src/healthcheck.js');
    expect(existsSync('src/healthcheck.ts')).toBe(true);
    expect(existsSync('src/main.ts')).toBe(true);
  });

  it('starts the bot exactly as npm start does, node flags included', () => {
    const start = (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: { start: string } }).scripts.start;
    const cmd = instructions.find((line) => line.startsWith('CMD '))!;
    expect(JSON.parse(cmd.slice('CMD '.length))).toEqual(start.split(' '));
    expect(start).toMatch(/^node .*dist\/src\/main\.js$/);
  });

  it('copies what the build needs and nothing the image should not hold', () => {
    for (const path of ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'src', 'commands']) {
      expect(dockerfile).toContain(path);
      expect(existsSync(path)).toBe(true);
    }
    const ignored = readFileSync('.dockerignore', 'utf8').split('\n');
    for (const entry of ['node_modules', 'data', 'config.json', '.git']) expect(ignored).toContain(entry);
  });
});
