export interface Speaker {
  id: string;
  name: string;
}

/** Puts who is speaking into the prompt, since several people share one session. */
export function attributePrompt(template: string, speaker: Speaker, prompt: string): string {
  return template.replace(/\{(user|userId|prompt)\}/g, (_, field: string) =>
    field === 'user' ? speaker.name : field === 'userId' ? speaker.id : prompt,
  );
}
