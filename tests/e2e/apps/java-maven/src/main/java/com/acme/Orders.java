package com.acme;
public class Orders { public static void main(String[] a) {} }
