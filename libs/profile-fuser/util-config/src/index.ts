export * from './profile-fuser.env';
