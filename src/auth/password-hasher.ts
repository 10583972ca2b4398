import { type Algorithm, hash, verify } from '@node-rs/argon2';
import { Injectable, OnModuleInit } from '@nestjs/common';

/** OWASP's argon2id baseline: 19 MiB, 2 passes. Runs on libuv's pool, off the event loop. */
/** Algorithm.Argon2id: a const enum, which isolated modules cannot read. */
const ARGON2ID = 2 as Algorithm;
const OPTIONS = { algorithm: ARGON2ID, memoryCost: 19_456, timeCost: 2, parallelism: 1 };

@Injectable()
export class PasswordHasher implements OnModuleInit {
  /** Verified against when the email is unknown, so both failures cost the same time. */
  private dummyHash: string;

  async onModuleInit() {
    this.dummyHash = await hash('not-a-real-password', OPTIONS);
  }

  hash(password: string): Promise<string> {
    return hash(password, OPTIONS);
  }

  async verify(hashed: string | undefined, password: string): Promise<boolean> {
    try {
      return await verify(hashed ?? this.dummyHash, password);
    } catch {
      return false;
    }
  }
}
