/**
 * Request bodies of the auth routes: the contract's schemas (@chat/contract).
 * Unknown fields are refused; each bad field is listed in `details`.
 */
export {
  RegisterRequest as registerBody,
  LoginRequest as loginBody,
  RefreshTokenRequest as refreshBody,
  ChangePasswordRequest as passwordBody,
} from '@chat/contract';
