import type * as z from 'zod/mini';
import type * as schemas from '../../../shared/http/schemas';

// The API's own schemas type the console (type-only: nothing of them is bundled).
export type Me = z.infer<typeof schemas.meResponse>;
export type UserView = z.infer<typeof schemas.userView>;
export type Role = UserView['roles'][number];
export type LoginResponse = Omit<z.infer<typeof schemas.loginResponse>, 'refreshToken'>;
export type OtpSetupResponse = z.infer<typeof schemas.otpSetupResponse>;
export type Notarization = z.infer<typeof schemas.notarization>;
export type NotarizationList = z.infer<typeof schemas.notarizationList>;
export type UploadResponse = z.infer<typeof schemas.uploadResponse>;
export type VerifyingResponse = z.infer<typeof schemas.verifyingResponse>;
export type VerifyResponse = z.infer<typeof schemas.verifyResponse>;
