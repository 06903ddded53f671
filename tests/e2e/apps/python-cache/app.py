print("cached deps app")
