print("maimo")
