// Placeholder until the sandbox layer lands: integration setup is added there.
export default async function setup(): Promise<void> {}
