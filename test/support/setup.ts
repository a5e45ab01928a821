// type-graphql reads decorator metadata through the reflect-metadata polyfill.
import 'reflect-metadata';
